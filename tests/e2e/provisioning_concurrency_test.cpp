// Provisioning a tenant holds nothing other requests need (issue 13, "never
// block the loop"): while a tenant's database is being built, held at the
// pause point tenant_create.provisioning (base/crash_point.h) for as long as
// the test likes, a server with one event loop answers another tenant's
// product read, an admin read of the control store, and a second tenant
// creation's validation. No timing is involved: the barrier is a file.
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "support/http_client.h"
#include "support/problem.h"
#include "support/test_server.h"

namespace tenantd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

TEST(ProvisioningConcurrency, ReadsAreAnsweredWhileATenantIsBeingProvisioned) {
  TestServer server;
  const fs::path barrier = server.root() / "provisioning.barrier";
  ASSERT_TRUE(server.Start({.args = {"--threads", "1"},
                            .env = {{"TENANTD_PAUSE_AT", "tenant_create.provisioning"},
                                    {"TENANTD_PAUSE_FILE", barrier.string()}}}));
  // Without the barrier file the pause point lets provisioning through.
  Response created = server.CreateTenant(UniqueSlug("warm"), "Warm");
  ASSERT_EQ(created.status, 201) << created.Describe();
  const json::value tenant = created.Json();
  const std::string tenant_id = StringAt(tenant, "tenant.id");
  const Headers auth = {{"X-App-Key", StringAt(tenant, "credentials.app_key")},
                        {"X-App-Secret", StringAt(tenant, "credentials.app_secret")},
                        {"Content-Type", "application/json"}};
  Response product = server.Request("POST", "/v1/products", auth,
                                    R"({"sku":"mug","name":"Mug","price_cents":500})");
  ASSERT_EQ(product.status, 201) << product.Describe();
  const std::string product_url = "/v1/products/" + StringAt(product.Json(), "product.id");

  std::ofstream(barrier) << "hold\n";
  auto slow = std::async(std::launch::async,
                         [&] { return server.CreateTenant(UniqueSlug("slow"), "Slow"); });
  ASSERT_TRUE(PollUntil([&] { return fs::exists(barrier.string() + ".reached"); },
                        std::chrono::seconds(10)))
      << "provisioning never reached its pause point";

  // Provisioning is held now. The one loop still answers:
  Response read = server.Request("GET", product_url, auth);
  EXPECT_EQ(read.status, 200) << read.Describe();
  Response admin_read = server.Admin("GET", "/admin/v1/tenants/" + tenant_id);
  EXPECT_EQ(admin_read.status, 200) << admin_read.Describe();
  EXPECT_TRUE(IsProblem(server.Admin("POST", "/admin/v1/tenants", R"({"slug":"Not A Slug"})"), 422,
                        "validation_failed"));
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the held provisioning finished early: the test proved nothing";

  fs::remove(barrier);
  Response finished = slow.get();
  EXPECT_EQ(finished.status, 201) << finished.Describe();
}

}  // namespace
}  // namespace tenantd::test
