#include "auth/token_cache.h"

#include <cstring>

#include "ops/metrics.h"

TokenCache::TokenCache(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  entries_.reserve(capacity_);
  order_.reserve(capacity_);
}

TokenCache::Digest TokenCache::digest(std::string_view token) const {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), out.data(), &len, sha256_.get(), nullptr);
  return out;
}

std::size_t TokenCache::DigestHash::operator()(const Digest& d) const {
  std::size_t h = 0;  // a SHA-256 is already uniformly spread: any 8 bytes will do
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

const JwtClaims* TokenCache::find(const Digest& key) const {
  auto it = entries_.find(key);
  metrics::count(it == entries_.end() ? metrics::Counter::token_cache_misses
                                      : metrics::Counter::token_cache_hits);
  return it == entries_.end() ? nullptr : &it->second;
}

void TokenCache::insert(const Digest& key, const JwtClaims& claims) {
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second = claims;
    return;
  }
  // Every entry owns a slot of the ring, so the map never outgrows it. A slot's old
  // key may already be gone (erased as expired): erasing it again is a no-op.
  if (order_.size() < capacity_) {
    order_.push_back(key);
  } else {
    entries_.erase(order_[next_]);
    order_[next_] = key;
    next_ = (next_ + 1) % capacity_;
  }
  entries_.emplace(key, claims);
}

void TokenCache::erase(const Digest& key) {
  entries_.erase(key);
}
