#include "storage/database.h"

namespace tenantd::storage {

boost::asio::awaitable<base::Status> Transaction::Exec(std::string_view sql, Params params) {
  auto rows = co_await Query(sql, std::move(params));
  if (!rows) co_return std::move(rows).error();
  co_return storage::Ok();
}

boost::asio::awaitable<base::Status> Database::Exec(std::string_view sql, Params params) {
  auto rows = co_await Query(sql, std::move(params));
  if (!rows) co_return std::move(rows).error();
  co_return storage::Ok();
}

}  // namespace tenantd::storage
