// Per-worker cache of verified tokens, so an asymmetric signature is checked once
// per token per worker. Keyed by the SHA-256 of the whole token (never the token
// itself), bounded, with first-in first-out eviction. A hit carries the token's time
// window: the caller must still check it against `now` (check_time_window in jwt.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/jwt.h"
#include "util/crypto_handles.h"

class TokenCache {
 public:
  using Digest = std::array<unsigned char, 32>;

  explicit TokenCache(std::size_t capacity = 4096);

  Digest digest(std::string_view token) const;

  // The claims cached for `key`, or nullptr. Valid until the next insert/erase.
  const JwtClaims* find(const Digest& key) const;
  // Adds (or replaces) an entry; when full, the oldest insertion makes room.
  void insert(const Digest& key, const JwtClaims& claims);
  void erase(const Digest& key);
  std::size_t size() const { return entries_.size(); }

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const;
  };

  std::size_t capacity_;
  EvpMdPtr sha256_;
  std::unordered_map<Digest, JwtClaims, DigestHash> entries_;
  std::vector<Digest> order_;  // ring of insertions, for FIFO eviction
  std::size_t next_ = 0;       // next slot of order_ to reuse once it is full
};
