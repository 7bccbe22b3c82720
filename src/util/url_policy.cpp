#include "util/url_policy.h"

#include <arpa/inet.h>

#include "util/text_util.h"

namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals_ascii(text.substr(0, prefix.size()), prefix);
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (iequals_ascii(host, "localhost") || iequals_ascii(host, "localhost.")) return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string text(host);
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  // inet_pton takes the dotted quad only ("127.1" and "2130706433" are refused, which
  // errs on the side of https).
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) != 1) return false;
  return (ntohl(v4.s_addr) >> 24) == 127;
}

std::string_view url_host(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string_view{} : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

std::string insecure_url_problem(std::string_view url) {
  const std::string_view host = url_host(url);
  if (host.empty()) return "not an http(s) URL with a host";
  if (starts_with_ci(url, "https://")) return {};
  if (!starts_with_ci(url, "http://")) return "not an http(s) URL";
  if (is_loopback_host(host)) return {};
  return "plain http to " + std::string(host) +
         " is refused: use https (http only to a loopback host: 127.0.0.0/8, ::1, localhost)";
}
