#include "protocol/frame_mac.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/coding.hpp"

namespace sqlrepl::protocol {

FrameMac::Tag HmacSha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  FrameMac::Tag tag{};
  // EVP_MAC is the OpenSSL 3 interface (HMAC_CTX is deprecated); the fetched
  // algorithm is kept for the life of the process.
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  bool ok = ctx && EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                                params) == 1;
  for (std::string_view part : parts) {
    ok = ok &&
         EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  }
  size_t length = 0;
  ok = ok && EVP_MAC_final(ctx, tag.data(), &length, tag.size()) == 1 && length == tag.size();
  EVP_MAC_CTX_free(ctx);
  // Without a working HMAC nothing can be authenticated; carrying on with a
  // guessable tag would be worse than stopping.
  if (!ok) std::abort();
  return tag;
}

namespace {

std::string_view View(const FrameMac::Key& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

std::string SeqAndType(uint64_t seq, MessageType type) {
  std::string out;
  PutFixed64(&out, seq);
  PutFixed8(&out, static_cast<uint8_t>(type));
  return out;
}

}  // namespace

FrameMac::Tag FrameMac::Sign(MessageType type, std::string_view body) {
  const std::string prefix = SeqAndType(seq_++, type);
  return HmacSha256(View(key_), {prefix, body});
}

Status FrameMac::Open(MessageType type, std::string* payload) {
  if (payload->size() < kTagSize) {
    return Status::Corruption(
        fmt::format("{} frame carries no authentication tag", MessageTypeName(type)));
  }
  const std::string_view body(payload->data(), payload->size() - kTagSize);
  const std::string prefix = SeqAndType(seq_++, type);
  const Tag expected = HmacSha256(View(key_), {prefix, body});
  if (CRYPTO_memcmp(expected.data(), payload->data() + body.size(), kTagSize) != 0) {
    return Status::Corruption(
        fmt::format("{} frame failed authentication (altered, replayed or out of order)",
                    MessageTypeName(type)));
  }
  payload->resize(body.size());
  return Status::Ok();
}

std::string FrameMac::SealFrame(MessageType type, std::string_view body) {
  const Tag tag = Sign(type, body);
  std::string out;
  out.reserve(kHeaderSize + body.size() + kTagSize);
  PutFixed32(&out, static_cast<uint32_t>(body.size() + kTagSize));
  PutFixed8(&out, static_cast<uint8_t>(type));
  out.append(body);
  out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return out;
}

}  // namespace sqlrepl::protocol
