// libFuzzer target: arbitrary bytes as a FastCGI param list ("NAME=value" items
// separated by NUL) must parse without a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http/fcgi_params.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::vector<char*> envp;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    if (i == bytes.size() || bytes[i] == '\0') {
      if (i > start) envp.push_back(bytes.data() + start);
      if (i < bytes.size()) bytes[i] = '\0';
      start = i + 1;
    }
  }
  envp.push_back(nullptr);
  Request req;
  parse_fcgi_params(envp.data(), req);
  return 0;
}
