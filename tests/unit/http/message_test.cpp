#include "http/message.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace tenantd::http {
namespace {

Request WithTarget(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

TEST(RequestPath, IsTheTargetUpToTheQuestionMark) {
  EXPECT_EQ(WithTarget("/v1/products?limit=5").Path(), "/v1/products");
  EXPECT_EQ(WithTarget("/v1/products").Path(), "/v1/products");
  EXPECT_EQ(WithTarget("/v1/products?").Path(), "/v1/products");
  EXPECT_EQ(WithTarget("/a?b?c").Path(), "/a");
}

TEST(RequestQuery, IsEverythingAfterTheFirstQuestionMark) {
  EXPECT_EQ(WithTarget("/v1/products?limit=5&after=x").Query(), "limit=5&after=x");
  EXPECT_EQ(WithTarget("/v1/products").Query(), "");
  EXPECT_EQ(WithTarget("/v1/products?").Query(), "");
  EXPECT_EQ(WithTarget("/a?b?c").Query(), "b?c");
}

TEST(RequestQueryParam, ReturnsTheDecodedValue) {
  const Request r = WithTarget("/s?q=J%C3%BCrgen+M%C3%BCller&limit=10&x=a%2Bb");
  EXPECT_EQ(r.QueryParam("q"), std::optional<std::string>("J\xC3\xBCrgen M\xC3\xBCller"));
  EXPECT_EQ(r.QueryParam("limit"), std::optional<std::string>("10"));
  EXPECT_EQ(r.QueryParam("x"), std::optional<std::string>("a+b"));
}

TEST(RequestQueryParam, AbsentIsNullopt) {
  EXPECT_EQ(WithTarget("/s?a=1").QueryParam("b"), std::nullopt);
  EXPECT_EQ(WithTarget("/s").QueryParam("a"), std::nullopt);
  EXPECT_EQ(WithTarget("/s?").QueryParam("a"), std::nullopt);
}

TEST(RequestQueryParam, NameWithoutValueIsEmpty) {
  EXPECT_EQ(WithTarget("/s?purge").QueryParam("purge"), std::optional<std::string>(""));
  EXPECT_EQ(WithTarget("/s?purge=").QueryParam("purge"), std::optional<std::string>(""));
}

TEST(RequestQueryParam, MatchesWholeNamesOnlyAndTakesTheFirst) {
  const Request r = WithTarget("/s?ab=1&a=2&a=3&&b");
  EXPECT_EQ(r.QueryParam("a"), std::optional<std::string>("2"));
  EXPECT_EQ(r.QueryParam("ab"), std::optional<std::string>("1"));
  EXPECT_EQ(r.QueryParam("A"), std::nullopt);
  EXPECT_EQ(r.QueryParam("b"), std::optional<std::string>(""));
}

TEST(RequestQueryParam, MalformedEscapeIsNullopt) {
  EXPECT_EQ(WithTarget("/s?q=%G1").QueryParam("q"), std::nullopt);
  EXPECT_EQ(WithTarget("/s?q=abc%4").QueryParam("q"), std::nullopt);
  EXPECT_EQ(WithTarget("/s?q=%&r=1").QueryParam("q"), std::nullopt);
  // Other parameters are unaffected by one bad escape.
  EXPECT_EQ(WithTarget("/s?q=%&r=1").QueryParam("r"), std::optional<std::string>("1"));
}

TEST(RequestPathParam, ReturnsValueOrEmpty) {
  Request r;
  r.path_params = {{"id", "ten_1"}, {"name", "x"}};
  EXPECT_EQ(r.PathParam("id"), "ten_1");
  EXPECT_EQ(r.PathParam("name"), "x");
  EXPECT_EQ(r.PathParam("other"), "");
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc", false), std::optional<std::string>("a/b/c"));
  EXPECT_EQ(PercentDecode("%41%62", false), std::optional<std::string>("Ab"));
  EXPECT_EQ(PercentDecode("", false), std::optional<std::string>(""));
  EXPECT_EQ(PercentDecode("%00", false), std::optional<std::string>(std::string(1, '\0')));
  EXPECT_EQ(PercentDecode("%ff", false), std::optional<std::string>("\xff"));
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b", true), std::optional<std::string>("a b"));
  EXPECT_EQ(PercentDecode("a+b", false), std::optional<std::string>("a+b"));
  EXPECT_EQ(PercentDecode("%2B", true), std::optional<std::string>("+"));
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("abc%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("ab%4", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%4g", false), std::nullopt);
  EXPECT_EQ(PercentDecode("% 41", false), std::nullopt);
}

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b+c/d?e#f%g"), "a%20b%2Bc%2Fd%3Fe%23f%25g");
  EXPECT_EQ(PercentEncode("caf\xC3\xA9\r\n"), "caf%C3%A9%0D%0A");
  EXPECT_EQ(PercentEncode(""), "");
  // Round trip, whatever the bytes.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(PercentDecode(PercentEncode(all), false), std::optional<std::string>(all));
}

TEST(Headers, GetIsCaseInsensitiveAndReturnsFirstValue) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("X-Forwarded-For", "10.0.0.1");
  h.Add("x-forwarded-for", "10.0.0.2");
  EXPECT_EQ(h.Get("content-type"), std::optional<std::string_view>("application/json"));
  EXPECT_EQ(h.Get("CONTENT-TYPE"), std::optional<std::string_view>("application/json"));
  EXPECT_EQ(h.Get("X-FORWARDED-FOR"), std::optional<std::string_view>("10.0.0.1"));
  EXPECT_EQ(h.Get("Content"), std::nullopt);
  EXPECT_EQ(h.Get("Content-Type2"), std::nullopt);
  EXPECT_EQ(h.Get("Accept"), std::nullopt);
  EXPECT_EQ(h.items().size(), 3u);
}

TEST(Headers, EmptyValueIsPresent) {
  Headers h;
  h.Add("Authorization", "");
  ASSERT_TRUE(h.Get("authorization").has_value());
  EXPECT_EQ(*h.Get("authorization"), "");
}

TEST(Response, FactoriesSetStatusTypeAndBody) {
  const Response json = Response::Json(201, "{}");
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(json.body, "{}");
  const Response text = Response::Text(200, "text/plain; version=0.0.4", "x 1\n");
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(text.body, "x 1\n");
  const Response none = Response::NoContent();
  EXPECT_EQ(none.status, 204);
  EXPECT_TRUE(none.body.empty());
  EXPECT_TRUE(none.content_type.empty());
}

}  // namespace
}  // namespace tenantd::http
