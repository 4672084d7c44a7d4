#include "users/auth_pages.h"

#include <string>

namespace tenantd::users {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::RequestContext;
using http::Response;

constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'";

constexpr const char* kHead = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>)";

// What each page shows before its script runs; the script does the rest.
std::string PageHtml(std::string_view action, std::string_view title, std::string_view form) {
  std::string html = kHead;
  html += title;
  html += "</title>\n<script src=\"/auth/assets/auth-pages.js\" defer></script></head>\n";
  html += "<body data-action=\"";
  html += action;
  html += "\"><main>\n<h1>";
  html += title;
  html += "</h1>\n";
  html += form;
  html +=
      "<p id=\"status\" role=\"status\">This page needs JavaScript.</p>\n</main></body></html>\n";
  return html;
}

constexpr const char* kResetForm = R"(<form id="form" hidden>
<label>New password (10 characters or more)
<input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="1024" required></label>
<button type="submit">Set the password</button>
</form>
)";

constexpr const char* kInviteForm = R"(<form id="form" hidden>
<p>Signed in with the invited address? Just accept. New here? Choose a name and a password.</p>
<label>Name <input name="name" autocomplete="name" maxlength="200"></label>
<label>Password <input name="password" type="password" autocomplete="new-password" maxlength="1024"></label>
<button type="submit">Accept the invite</button>
</form>
)";

constexpr const char* kScript = R"JS('use strict';
(function () {
  const action = document.body.dataset.action;
  const token = new URLSearchParams(location.search).get('token') || '';
  // The token leaves the address bar (and the history) once read.
  history.replaceState(null, '', location.pathname);
  const status = document.getElementById('status');
  const form = document.getElementById('form');
  const say = (text) => { status.textContent = text; };
  const call = async (path, body) => {
    const res = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    let answer = {};
    try { answer = await res.json(); } catch (e) { /* 204: no body */ }
    return {ok: res.ok, answer};
  };
  const explain = (answer) => answer.detail || answer.title || 'Something went wrong.';
  if (!token) { say('This link has no token; open the link from the email again.'); return; }
  if (action === 'verify') {
    say('Verifying…');
    call('/auth/v1/verify-email', {token}).then(({ok, answer}) =>
      say(ok ? 'Your email address is verified. You can close this page.' : explain(answer)));
    return;
  }
  say('');
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const body = {token};
    if (fields.password) body.password = fields.password;
    if (action === 'invite' && fields.name) body.name = fields.name;
    const path = action === 'reset' ? '/auth/v1/reset' : '/auth/v1/invites/accept';
    const {ok, answer} = await call(path, body);
    if (ok) form.hidden = true;
    say(ok ? (action === 'reset' ? 'Your password is set; sign in with it.'
                                 : 'Welcome aboard: you are a member now.')
           : explain(answer));
  });
})();
)JS";

Response Page(std::string html) {
  Response res = Response::Text(200, "text/html; charset=utf-8", std::move(html));
  res.headers.Add("Content-Security-Policy", kPolicy);
  res.headers.Add("Referrer-Policy", "no-referrer");
  res.headers.Add("Cache-Control", "no-store");
  res.headers.Add("X-Frame-Options", "DENY");
  return res;
}

http::RouteDoc PageDoc(std::string operation_id, std::string summary) {
  return {.operation_id = std::move(operation_id),
          .summary = std::move(summary),
          .description = "An HTML page for the link in an email; its script calls the API.",
          .tag = "Users",
          .params = {{"token", "query", "The token from the email"}},
          .responses = {{200, "The page", R"({"type":"string"})", "text/html"}}};
}

}  // namespace

void RegisterAuthPages(http::Router& router) {
  router.Add(
      "GET", "/auth/verify", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        co_return Page(PageHtml("verify", "Verify your email address", ""));
      },
      PageDoc("verifyEmailPage", "The page a verification link opens"));
  router.Add(
      "GET", "/auth/reset", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        co_return Page(PageHtml("reset", "Choose a new password", kResetForm));
      },
      PageDoc("resetPasswordPage", "The page a password-reset link opens"));
  router.Add(
      "GET", "/auth/invite", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        co_return Page(PageHtml("invite", "Accept the invite", kInviteForm));
      },
      PageDoc("acceptInvitePage", "The page an invite link opens"));
  router.Add(
      "GET", "/auth/assets/auth-pages.js", {},
      [](Request&, RequestContext&) -> awaitable<Response> {
        Response res = Response::Text(200, "text/javascript; charset=utf-8", kScript);
        res.headers.Add("Cache-Control", "public, max-age=3600");
        co_return res;
      },
      http::RouteDoc{
          .operation_id = "authPagesScript",
          .summary = "The script of the email-link pages",
          .tag = "Users",
          .responses = {{200, "JavaScript", R"({"type":"string"})", "text/javascript"}}});
}

}  // namespace tenantd::users
