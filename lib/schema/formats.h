// `format` checks, used when formats are asserted (--formats). Each takes the string value.
#pragma once
#include <string_view>

namespace sp::schema {

enum class Format {
  none,  // no format keyword, or one we do not know (an annotation only)
  date_time,
  date,
  time,
  duration,
  email,
  idn_email,
  hostname,
  idn_hostname,
  ipv4,
  ipv6,
  uri,
  uri_reference,
  iri,
  iri_reference,
  uri_template,
  uuid,
  regex,
  json_pointer,
  relative_json_pointer,
};

Format format_from_name(std::string_view name);
bool check_format(Format f, std::string_view value);
// A DNS host name; `unicode` also accepts U-labels (idn-hostname). hostname.cpp.
bool check_hostname(std::string_view name, bool unicode);

}  // namespace sp::schema
