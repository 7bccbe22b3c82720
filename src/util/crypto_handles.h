// Owning handles for the OpenSSL types the JWT code uses: one deleter per C type,
// so call sites never name one (the BoringSSL UniquePtr idea, as in c_handles.h).
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

#include "util/c_handles.h"

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, CFree<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CFree<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, CFree<EVP_MD_CTX_free>>;
using EvpMdPtr = std::unique_ptr<EVP_MD, CFree<EVP_MD_free>>;
using EvpMacPtr = std::unique_ptr<EVP_MAC, CFree<EVP_MAC_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, CFree<EVP_MAC_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, CFree<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, CFree<ECDSA_SIG_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, CFree<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, CFree<OSSL_PARAM_free>>;
