// Little-endian fixed-width integers and length-prefixed strings.
// Writers append to a std::string; readers consume a std::string_view from
// the front and return false on short input, leaving it unspecified.
// (The shape of leveldb's util/coding.h.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sqlrepl {

inline void PutFixed8(std::string* dst, uint8_t v) { dst->push_back(static_cast<char>(v)); }

inline void PutFixed16(std::string* dst, uint16_t v) {
  for (int i = 0; i < 2; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// u32 length, then the bytes.
inline void PutString(std::string* dst, std::string_view s) {
  PutFixed32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

template <typename T>
bool GetFixed(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  T out = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    out |= static_cast<T>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  }
  in->remove_prefix(sizeof(T));
  *v = out;
  return true;
}

inline bool GetFixed8(std::string_view* in, uint8_t* v) { return GetFixed(in, v); }
inline bool GetFixed16(std::string_view* in, uint16_t* v) { return GetFixed(in, v); }
inline bool GetFixed32(std::string_view* in, uint32_t* v) { return GetFixed(in, v); }
inline bool GetFixed64(std::string_view* in, uint64_t* v) { return GetFixed(in, v); }

// Fails on short input and on a length above max_length, before copying.
inline bool GetString(std::string_view* in, std::string* out, uint32_t max_length) {
  uint32_t n = 0;
  if (!GetFixed32(in, &n) || n > max_length || in->size() < n) return false;
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace sqlrepl
