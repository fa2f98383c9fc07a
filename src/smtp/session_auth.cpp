// SPDX-License-Identifier: BSL-1.0
// A session's AUTH (RFC 4954): PLAIN and LOGIN, with or without an initial
// response, against the configured credentials or a scripted answer. No
// password and no response ever goes into a problem: its input is the AUTH
// line with the response masked ("AUTH PLAIN ***").
#include <utility>

#include "smtp/session.hpp"
#include "smtp/text.hpp"

namespace trap::smtp::detail {

void Session::auth(std::string_view, std::string_view argument, Actions& actions) {
  const auto space = argument.find(' ');
  const std::string mechanism = upper(argument.substr(0, space));
  std::string_view initial =
      space == std::string_view::npos ? std::string_view{} : trim(argument.substr(space + 1));
  auth_input_ = mechanism.empty() ? "AUTH" : "AUTH " + printable(mechanism, 32);
  if (!initial.empty()) auth_input_ += " ***";
  const bool known = mechanism == "PLAIN" || mechanism == "LOGIN";
  const std::string_view input = auth_input_;
  if (options().credentials.empty())
    return refuse(actions, input, 502, "5.5.1 Error: command not implemented", "AUTH not offered");
  if (!esmtp_ || helo_.empty())
    return refuse(actions, input, 503, "5.5.1 Error: send EHLO first", "AUTH before EHLO");
  if (!auth_user_.empty())
    return refuse(actions, input, 503, "5.5.1 Already authenticated", "AUTH when authenticated");
  if (transaction_.begun)
    return refuse(actions, input, 503, "5.5.1 Error: MAIL transaction in progress",
                  "AUTH in a transaction");
  if (mechanism.empty())
    return refuse(actions, input, 501, "5.5.4 Syntax: AUTH mechanism", "AUTH without a mechanism");
  if (!known)
    return refuse(actions, input, 504, "5.5.4 Unrecognized authentication type",
                  "unknown AUTH mechanism");
  state_ = mechanism == "PLAIN" ? State::auth_plain : State::auth_login_user;
  if (initial == "=") initial = {};  // RFC 4954: an empty initial response
  if (space != std::string_view::npos && !trim(argument.substr(space + 1)).empty())
    return auth_response(initial, actions);
  if (state_ == State::auth_plain)
    send(actions, 334, "");
  else
    send(actions, 334, "VXNlcm5hbWU6");  // "Username:"
}

// A line answering a challenge (or the initial response).
void Session::auth_response(std::string_view line, Actions& actions) {
  const State was = std::exchange(state_, State::command);
  if (line == "*") return refuse(actions, auth_input_, 501, "5.7.0 Auth aborted", "AUTH aborted");
  const auto decoded = decode_base64(line);
  if (!decoded)
    return refuse(actions, auth_input_, 501, "5.5.2 Can't decode base64", "bad base64 in AUTH");
  if (was == State::auth_plain) return auth_plain(*decoded, actions);
  if (was == State::auth_login_password)
    return auth_final("LOGIN", std::exchange(login_user_, {}), *decoded, actions);
  login_user_ = *decoded;
  state_ = State::auth_login_password;
  send(actions, 334, "UGFzc3dvcmQ6");  // "Password:"
}

// authzid NUL authcid NUL password; an authzid other than the authcid is
// not supported (refused as invalid).
void Session::auth_plain(std::string_view decoded, Actions& actions) {
  const auto first = decoded.find('\0');
  const auto second = first == std::string_view::npos ? first : decoded.find('\0', first + 1);
  if (second == std::string_view::npos || decoded.find('\0', second + 1) != std::string_view::npos)
    return refuse(actions, auth_input_, 535, "5.7.8 Authentication credentials invalid",
                  "malformed AUTH PLAIN response");
  const std::string_view authzid = decoded.substr(0, first);
  const std::string_view user = decoded.substr(first + 1, second - first - 1);
  if (!authzid.empty() && authzid != user)
    return refuse(actions, auth_input_, 535, "5.7.8 Authentication credentials invalid",
                  "AUTH PLAIN for another identity");
  auth_final("PLAIN", user, decoded.substr(second + 1), actions);
}

void Session::auth_final(std::string_view mechanism, std::string_view user,
                         std::string_view password, Actions& actions) {
  if (const auto scripted = host_.scripted(Command::auth, mechanism)) {
    if (respond(scripted, 235, "", actions)) auth_user_ = std::string(user);
    return;
  }
  for (const Credentials& c : options().credentials) {
    if (c.user == user && c.password == password) {
      auth_user_ = std::string(user);
      return send(actions, 235, "2.7.0 Authentication successful");
    }
  }
  refuse(actions, auth_input_, 535, "5.7.8 Authentication credentials invalid",
         "authentication failed");
}

}  // namespace trap::smtp::detail
