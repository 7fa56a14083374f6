#include "protocol/transport.hpp"

#include <fmt/format.h>

namespace sqlrepl::protocol {

void PrepareStream(Stream& stream) {
  asio::error_code ignored;
  Socket(stream).set_option(asio::ip::tcp::no_delay(true), ignored);
}

void CloseStream(Stream& stream) {
  asio::error_code ignored;
  Socket(stream).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  Socket(stream).close(ignored);
}

std::string PeerAddress(const Stream& stream) {
  asio::error_code ec;
  const auto ep = stream.lowest_layer().remote_endpoint(ec);
  if (ec) return "?";
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace sqlrepl::protocol
