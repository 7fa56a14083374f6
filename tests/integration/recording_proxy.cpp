#include "recording_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace sqlrepl::testing {

namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

}  // namespace

RecordingProxy::RecordingProxy(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::listen(listen_fd_, 4) == 0 && ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port_ = ntohs(addr.sin_port);
  }
  thread_ = std::thread([this] { Loop(); });
}

RecordingProxy::~RecordingProxy() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string RecordingProxy::Recorded() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

void RecordingProxy::HoldAnswersAfter(std::string marker) {
  std::lock_guard lock(mu_);
  marker_ = std::move(marker);
  client_tail_.clear();
  holding_ = cut_requested_ = cut_done_ = false;
}

bool RecordingProxy::holding() const {
  std::lock_guard lock(mu_);
  return holding_;
}

void RecordingProxy::Cut() {
  std::lock_guard lock(mu_);
  cut_requested_ = true;
}

bool RecordingProxy::cut_done() const {
  std::lock_guard lock(mu_);
  return cut_done_;
}

void RecordingProxy::WatchClientBytes(const char* data, size_t n) {
  std::lock_guard lock(mu_);
  if (marker_.empty() || holding_) return;
  client_tail_.append(data, n);
  if (client_tail_.find(marker_) != std::string::npos) {
    holding_ = true;
    return;
  }
  const size_t keep = marker_.size() - 1;
  if (client_tail_.size() > keep) client_tail_.erase(0, client_tail_.size() - keep);
}

// Polls with a short timeout so that the destructor is seen promptly.
void RecordingProxy::Loop() {
  int client = -1, server = -1;
  while (!stopping_) {
    {
      std::lock_guard lock(mu_);
      if (cut_requested_) {
        if (client >= 0) ::close(client), ::close(server);
        client = server = -1;
        marker_.clear();
        holding_ = cut_requested_ = false;
        cut_done_ = true;
      }
    }
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    if (client >= 0) fds.push_back({client, POLLIN, 0}), fds.push_back({server, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      const int accepted = ::accept(listen_fd_, nullptr, nullptr);
      if (client >= 0) ::close(client), ::close(server);
      client = accepted;
      server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in target = Loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
        ::close(client), ::close(server);
        client = server = -1;
      }
      continue;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      char buf[16384];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      const int to = fds[i].fd == client ? server : client;
      if (n > 0 && to == client && holding()) continue;  // the answer is lost
      if (n <= 0 || ::write(to, buf, static_cast<size_t>(n)) != n) {
        ::close(client), ::close(server);
        client = server = -1;
        break;
      }
      if (to == server) WatchClientBytes(buf, static_cast<size_t>(n));
      std::lock_guard lock(mu_);
      recorded_.append(buf, static_cast<size_t>(n));
    }
  }
  if (client >= 0) ::close(client), ::close(server);
}

}  // namespace sqlrepl::testing
