// Credentials out of messages. Every line a program writes to stderr (cli::Reporter) and the
// "source" and "error" of every dead letter pass through redact(), a last line of defence
// behind the connectors' own redacted names (sink::Endpoint::redacted(), redact_url()): a
// URI's password, a secret query or key=value parameter, or an HTTP credential that reaches
// a message anyway is shown as ***.
//   postgresql://etl:pw@db/x        -> postgresql://etl:***@db/x
//   redis://:pw@host:6379           -> redis://:***@host:6379
//   ...?user=u&password=pw&table=t  -> ...?user=u&password=***&table=t
//   sasl.password=pw, sslpassword=pw, token=..., access_token=..., X-Amz-Signature=...
//   Authorization: Bearer abc, Basic dXNlcjpwdw==  -> Bearer ***, Basic ***
// User names, hosts and paths stay, so that a message still says where.
#pragma once
#include <string>
#include <string_view>

namespace sp::cli {

std::string redact(std::string_view text);

// True when redact() would change `text` (cheap: most messages have no "://", '=' or "Bearer").
bool needs_redaction(std::string_view text);

// Compares a credential in time that depends on the lengths only, so that response times do
// not tell how much of a guessed token was right.
bool same_secret(std::string_view given, std::string_view expected);

}  // namespace sp::cli
