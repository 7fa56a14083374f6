#include "protocol/messages.hpp"

#include <gtest/gtest.h>

#include "protocol/frame.hpp"
#include "protocol/transport.hpp"

namespace sqlrepl::protocol {
namespace {

std::string Hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::array<uint8_t, kHeaderSize> Header(std::string_view frame) {
  std::array<uint8_t, kHeaderSize> h{};
  for (size_t i = 0; i < kHeaderSize; ++i) h[i] = static_cast<uint8_t>(frame[i]);
  return h;
}

TEST(Frame, LayoutIsLengthThenType) {
  EXPECT_EQ(Hex(EncodeFrame(MessageType::kAck, "xyz")),
            "0300000007"
            "78797a");
  Result<FrameHeader> h =
      DecodeHeader(Header(EncodeFrame(MessageType::kEvent, std::string(300, 'a'))));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->length, 300u);
  EXPECT_EQ(h->type, MessageType::kEvent);
}

TEST(Frame, OversizeIsCorruptionBeforeAllocation) {
  std::array<uint8_t, kHeaderSize> h = {0x01, 0x00, 0x00, 0x01, 0x06};  // 16 MiB + 1
  Result<FrameHeader> r = DecodeHeader(h);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(r.status().message(), "frame of 16777217 bytes is larger than the limit of 16777216");
  h = {0xff, 0xff, 0xff, 0xff, 0x06};
  EXPECT_FALSE(DecodeHeader(h).ok());
}

TEST(Frame, UnknownTypeIsCorruption) {
  for (uint8_t type : {0, 16, 255}) {
    std::array<uint8_t, kHeaderSize> h = {0, 0, 0, 0, type};
    Result<FrameHeader> r = DecodeHeader(h);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "unknown frame type " + std::to_string(type));
  }
}

TEST(Messages, HelloBytes) {
  // Protocol 2 appended the slave's nonce; the fields before it kept their places.
  Hello h{1, "s1", "ab", 0x0102030405060708ull};
  h.slave_nonce.fill(0xab);
  std::string nonce_hex;
  for (size_t i = 0; i < kNonceSize; ++i) nonce_hex += "ab";
  EXPECT_EQ(Hex(Encode(h)),
            "0100"
            "020000007331"
            "020000006162"
            "0807060504030201" +
                nonce_hex);
}

// Protocol 3 appends the purpose; a version 2 Hello has none and follows.
TEST(Messages, HelloPurposeTravelsFromVersion3AndVersion2Follows) {
  Hello h{kProtocolVersion, "s1", "", 0};
  h.purpose = HelloPurpose::kProvision;
  const std::string v3 = Encode(h);
  Hello out;
  ASSERT_TRUE(Decode(v3, &out).ok());
  EXPECT_EQ(out.purpose, HelloPurpose::kProvision);
  EXPECT_EQ(v3.back(), '\x01');
  EXPECT_FALSE(Decode(v3.substr(0, v3.size() - 1), &out).ok());    // version 3 without it
  EXPECT_FALSE(Decode(v3.substr(0, v3.size() - 1) + "\x07", &out).ok());  // no such purpose
  h.version = HelloVersion(HelloPurpose::kFollow);
  EXPECT_EQ(h.version, 2u);
  const std::string v2 = Encode(h);
  EXPECT_EQ(v2.size(), v3.size() - 1);
  ASSERT_TRUE(Decode(v2, &out).ok());
  EXPECT_EQ(out.purpose, HelloPurpose::kFollow);
  EXPECT_FALSE(Decode(v2 + "\x01", &out).ok());  // trailing bytes in version 2
}

TEST(Messages, ChallengeBytesAreTheNonceThenTheProof) {
  Challenge c;
  c.nonce.fill(1);
  c.proof.fill(2);
  EXPECT_EQ(Encode(c), std::string(kNonceSize, '\x01') + std::string(kMacSize, '\x02'));
}

TEST(Messages, VersionIsReadFromAHelloOfAnyVersion) {
  uint16_t version = 0;
  ASSERT_TRUE(PeekVersion(std::string("\x01\x00garbage", 9), &version).ok());
  EXPECT_EQ(version, 1u);
  EXPECT_FALSE(PeekVersion("\x02", &version).ok());
}

TEST(Messages, HelloIdsMustBeShortPrintableAsciiWithoutSpaces) {
  Hello out;
  for (const std::string& bad :
       {std::string("a b"), std::string("\x1b[2J"), std::string("tab\there"),
        std::string("caf\xc3\xa9"), std::string(kMaxIdLength + 1, 'x'), std::string()}) {
    EXPECT_FALSE(Decode(Encode(Hello{kProtocolVersion, bad, "", 0}), &out).ok())
        << EscapeForLog(bad);
    EXPECT_FALSE(
        Decode(Encode(Hello{kProtocolVersion, "ok", bad.empty() ? "x y" : bad, 0}), &out).ok())
        << EscapeForLog(bad);
  }
  EXPECT_TRUE(
      Decode(Encode(Hello{kProtocolVersion, std::string(kMaxIdLength, 'x'), "", 0}), &out).ok());
  EXPECT_TRUE(
      Decode(Encode(Hello{kProtocolVersion, "db-2.example.com", "0123abcd", 0}), &out).ok());
}

// A TLS master tells a plain slave from a TLS one by the first byte alone:
// a plain hello frame opens with the low byte of its length, which for any
// valid hello is never the TLS handshake record type.
TEST(Messages, NoValidHelloFrameLooksLikeATlsRecord) {
  for (size_t slave_id = 1; slave_id <= kMaxIdLength; ++slave_id) {
    for (size_t replication_id = 0; replication_id <= kMaxIdLength; ++replication_id) {
      const std::string frame = EncodeFrame(
          MessageType::kHello, Encode(Hello{kProtocolVersion, std::string(slave_id, 's'),
                                            std::string(replication_id, 'r'), 7}));
      ASSERT_FALSE(StartsTlsRecord(static_cast<uint8_t>(frame[0])))
          << slave_id << " " << replication_id;
    }
  }
}

TEST(Messages, EscapeForLogLeavesNoControlCharacterAndBoundsTheLength) {
  EXPECT_EQ(EscapeForLog("plain id-1"), "plain id-1");
  EXPECT_EQ(EscapeForLog("\x1b]0;x\x07\n\t\\\xff"), "\\x1b]0;x\\x07\\n\\t\\\\\\xff");
  const std::string long_text = EscapeForLog(std::string(1000, '\x01'), 40);
  EXPECT_LE(long_text.size(), 80u);
  EXPECT_NE(long_text.find("bytes more)"), std::string::npos) << long_text;
  for (char c : long_text) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

TEST(Frame, EventSizeLimitLeavesRoomForTheTag) {
  EXPECT_TRUE(CheckEventSize(kMaxEventSize).ok());
  Status s = CheckEventSize(kMaxEventSize + 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("too large to replicate"), std::string::npos) << s.message();
  EXPECT_LE(kMaxEventSize + 32u, kMaxFrameSize);
}

TEST(Messages, AckBytes) {
  Ack a{7, AckOutcome::kError, 1146, "no"};
  EXPECT_EQ(Hex(Encode(a)),
            "0700000000000000"
            "03"
            "7a040000"
            "020000006e6f");
}

template <typename M>
void ExpectEveryTruncationRejected(const M& message) {
  const std::string bytes = Encode(message);
  for (size_t n = 0; n < bytes.size(); ++n) {
    M decoded;
    EXPECT_EQ(Decode(std::string_view(bytes).substr(0, n), &decoded).code(),
              StatusCode::kCorruption)
        << "prefix of " << n << " bytes";
  }
  M decoded;
  EXPECT_FALSE(Decode(bytes + "x", &decoded).ok()) << "trailing byte";
  EXPECT_TRUE(Decode(bytes, &decoded).ok());
}

TEST(Messages, RoundTripsAndTruncations) {
  Hello hello{kProtocolVersion, "slave-1", "0123abcd", 42};
  Hello h2;
  ASSERT_TRUE(Decode(Encode(hello), &h2).ok());
  EXPECT_EQ(h2.slave_id, "slave-1");
  EXPECT_EQ(h2.replication_id, "0123abcd");
  EXPECT_EQ(h2.applied_seq, 42u);
  ExpectEveryTruncationRejected(hello);

  Challenge c;
  c.nonce.fill(7);
  c.proof.fill(8);
  ExpectEveryTruncationRejected(c);
  Auth a;
  a.mac.fill(9);
  ExpectEveryTruncationRejected(a);

  Welcome w{"id", 5, 9};
  Welcome w2;
  ASSERT_TRUE(Decode(Encode(w), &w2).ok());
  EXPECT_EQ(w2.from_seq, 5u);
  EXPECT_EQ(w2.last_seq, 9u);
  ExpectEveryTruncationRejected(w);

  Reject r{RejectCode::kPurged, "gone"};
  Reject r2;
  ASSERT_TRUE(Decode(Encode(r), &r2).ok());
  EXPECT_EQ(r2.code, RejectCode::kPurged);
  EXPECT_EQ(r2.reason, "gone");
  ExpectEveryTruncationRejected(r);

  Ack ack{9, AckOutcome::kRefused, 0, "DDL is not replicated"};
  Ack ack2;
  ASSERT_TRUE(Decode(Encode(ack), &ack2).ok());
  EXPECT_EQ(ack2.outcome, AckOutcome::kRefused);
  EXPECT_EQ(ack2.message, "DDL is not replicated");
  ExpectEveryTruncationRejected(ack);

  ExpectEveryTruncationRejected(Heartbeat{77});
}

TEST(Messages, OversizedStringsAreRejected) {
  Hello h{kProtocolVersion, std::string(kMaxNameLength + 1, 'x'), "",
          0};  // (ids: kMaxIdLength now)
  Hello out;
  EXPECT_FALSE(Decode(Encode(h), &out).ok());
  // A length field far beyond the payload must not be trusted.
  std::string bytes = Encode(Hello{kProtocolVersion, "a", "", 0});
  bytes[2] = '\xff';
  EXPECT_FALSE(Decode(bytes, &out).ok());
}

TEST(Messages, AckOutcomeMustBeKnown) {
  std::string bytes = Encode(Ack{1, AckOutcome::kApplied, 0, ""});
  bytes[8] = 9;
  Ack out;
  EXPECT_FALSE(Decode(bytes, &out).ok());
}

TEST(Messages, VerifyRoundTripAndTruncations) {
  Verify v{7, "school", {"students", "counters"}};
  Verify v2;
  ASSERT_TRUE(Decode(Encode(v), &v2).ok());
  EXPECT_EQ(v2.request_id, 7u);
  EXPECT_EQ(v2.database, "school");
  EXPECT_EQ(v2.tables, (std::vector<std::string>{"students", "counters"}));
  ExpectEveryTruncationRejected(v);

  VerifyResult r{7, {{"students", "12345", ""}, {"gone", "", "Table doesn't exist"}}};
  VerifyResult r2;
  ASSERT_TRUE(Decode(Encode(r), &r2).ok());
  ASSERT_EQ(r2.tables.size(), 2u);
  EXPECT_EQ(r2.tables[0].checksum, "12345");
  EXPECT_EQ(r2.tables[1].error, "Table doesn't exist");
  ExpectEveryTruncationRejected(r);
}

// Issue 19: the slave's other tables follow the answers as entries with
// neither checksum nor error, so a master that predates them finds the
// answers where it looks (by position) and reads the rest as extra entries.
TEST(Messages, VerifyResultNamesTheOtherTablesAfterTheAnswers) {
  VerifyResult r{7, {{"students", "12345", ""}, {"gone", "", "no such table"}}, {"notes", "x"}};
  VerifyResult r2;
  ASSERT_TRUE(Decode(Encode(r), &r2).ok());
  ASSERT_EQ(r2.tables.size(), 2u);
  EXPECT_EQ(r2.tables[1].error, "no such table");
  EXPECT_EQ(r2.other_tables, (std::vector<std::string>{"notes", "x"}));
  ExpectEveryTruncationRejected(r);
  const VerifyResult as_before{7,
                               {{"students", "12345", ""},
                                {"gone", "", "no such table"},
                                {"notes", "", ""},
                                {"x", "", ""}}};
  EXPECT_EQ(Encode(r), Encode(as_before));
  // An answer after the other tables is malformed.
  const VerifyResult answer_last{7, {{"notes", "", ""}, {"students", "1", ""}}};
  EXPECT_FALSE(Decode(Encode(answer_last), &r2).ok());
}

TEST(Messages, VerifyTableCountIsBounded) {
  std::string bytes = Encode(Verify{1, "db", {}});
  bytes[bytes.size() - 1] = '\x7f';
  Verify out;
  EXPECT_FALSE(Decode(bytes, &out).ok());
}

TEST(Messages, SnapshotMessagesRoundTripAndTruncations) {
  SnapshotBegin b{"0123abcd", 42, "school", 3, 1000, 1 << 20, {"view `v`", "trigger `t`"}};
  SnapshotBegin b2;
  ASSERT_TRUE(Decode(Encode(b), &b2).ok());
  EXPECT_EQ(b2.replication_id, "0123abcd");
  EXPECT_EQ(b2.position, 42u);
  EXPECT_EQ(b2.database, "school");
  EXPECT_EQ(b2.table_count, 3u);
  EXPECT_EQ(b2.rows_estimate, 1000u);
  EXPECT_EQ(b2.bytes_estimate, 1u << 20);
  EXPECT_EQ(b2.not_copied, (std::vector<std::string>{"view `v`", "trigger `t`"}));
  ExpectEveryTruncationRejected(b);

  SnapshotTable t{"students", "CREATE TABLE `students` (`id` int, `n` int)", 7, 16384, {"id", "n"}};
  SnapshotTable t2;
  ASSERT_TRUE(Decode(Encode(t), &t2).ok());
  EXPECT_EQ(t2.name, "students");
  EXPECT_EQ(t2.create_sql, "CREATE TABLE `students` (`id` int, `n` int)");
  EXPECT_EQ(t2.columns, (std::vector<std::string>{"id", "n"}));
  EXPECT_EQ(t2.rows_estimate, 7u);
  EXPECT_EQ(t2.bytes_estimate, 16384u);
  ExpectEveryTruncationRejected(t);

  ExpectEveryTruncationRejected(SnapshotEnd{3, 1000, 123456});
  ExpectEveryTruncationRejected(SnapshotProgress{10, 2048});
}

TEST(Messages, SnapshotRowsKeepNullsEmptyStringsAndBytes) {
  const std::string bytes("a\0'\xff\n", 5);
  SnapshotRows r{{{SnapshotValue("1"), SnapshotValue(), SnapshotValue("")},
                  {SnapshotValue(bytes), SnapshotValue("x"), SnapshotValue()},
                  {}}};
  SnapshotRows r2;
  ASSERT_TRUE(Decode(Encode(r), &r2).ok());
  ASSERT_EQ(r2.rows.size(), 3u);
  EXPECT_EQ(r2.rows[0], r.rows[0]);
  EXPECT_EQ(r2.rows[1], r.rows[1]);
  EXPECT_TRUE(r2.rows[2].empty());
  EXPECT_FALSE(r2.rows[0][1].has_value());
  EXPECT_EQ(r2.rows[0][2], std::string());
  ExpectEveryTruncationRejected(r);
}

TEST(Messages, SnapshotRowsRefuseCountsThePayloadCannotHold) {
  // A row count of 2^32-1 in a 4-byte payload: refused before any allocation.
  SnapshotRows out;
  EXPECT_FALSE(Decode(std::string("\xff\xff\xff\xff", 4), &out).ok());
  // A NULL that carries bytes is malformed.
  std::string bytes = Encode(SnapshotRows{{{SnapshotValue()}}});
  bytes = bytes.substr(0, bytes.size() - 4) + std::string("\x01\x00\x00\x00x", 5);
  EXPECT_FALSE(Decode(bytes, &out).ok());
  // More columns than a table can have.
  std::string wide;
  for (const char c : {'\x01', '\0', '\0', '\0', '\x01', '\x10'}) wide += c;  // 1 row, 4097 columns
  EXPECT_FALSE(Decode(wide, &out).ok());
}

}  // namespace
}  // namespace sqlrepl::protocol
