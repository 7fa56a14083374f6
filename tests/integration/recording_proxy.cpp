#include "recording_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>

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

RecordingProxy::RecordingProxy(uint16_t target_port, bool many)
    : target_port_(target_port), many_(many) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::listen(listen_fd_, 16) == 0 &&
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
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
  holding_ = cut_requested_ = cut_done_ = lose_answer_ = false;
}

void RecordingProxy::LoseAnswerAfter(std::string marker, std::chrono::milliseconds refuse_for) {
  std::lock_guard lock(mu_);
  marker_ = std::move(marker);
  holding_ = cut_requested_ = cut_done_ = answer_lost_ = false;
  lose_answer_ = true;
  refuse_for_ = refuse_for;
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

bool RecordingProxy::answer_lost() const {
  std::lock_guard lock(mu_);
  return answer_lost_ && cut_done_;
}

bool RecordingProxy::refusing() const {
  std::lock_guard lock(mu_);
  return Clock::now() < refuse_until_;
}

bool RecordingProxy::TakeCut() {
  std::lock_guard lock(mu_);
  if (!cut_requested_) return false;
  marker_.clear();
  holding_ = cut_requested_ = false;
  cut_done_ = true;
  return true;
}

void RecordingProxy::WatchClientBytes(Pair* pair, const char* data, size_t n) {
  std::lock_guard lock(mu_);
  if (marker_.empty() || holding_) return;
  pair->client_tail.append(data, n);
  if (pair->client_tail.find(marker_) != std::string::npos) {
    holding_ = pair->holding = true;
    return;
  }
  const size_t keep = marker_.size() - 1;
  if (pair->client_tail.size() > keep) pair->client_tail.erase(0, pair->client_tail.size() - keep);
}

void RecordingProxy::Accept(std::vector<Pair>* pairs) {
  const int accepted = ::accept(listen_fd_, nullptr, nullptr);
  if (accepted < 0) return;
  if (refusing()) {  // as a server that is down, seen from a client that got through
    ::close(accepted);
    return;
  }
  if (!many_) {
    for (Pair& p : *pairs) ::close(p.client), ::close(p.server);
    pairs->clear();
  }
  Pair p;
  p.client = accepted;
  p.server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in target = Loopback(target_port_);
  if (::connect(p.server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
    ::close(p.client), ::close(p.server);
    return;
  }
  pairs->push_back(std::move(p));
}

bool RecordingProxy::Forward(Pair* pair, bool from_client) {
  char buf[16384];
  const ssize_t n = ::read(from_client ? pair->client : pair->server, buf, sizeof(buf));
  if (n <= 0) return false;
  if (!from_client && pair->holding) {  // the answer is lost
    std::lock_guard lock(mu_);
    if (lose_answer_) {  // it came, so the statement ran: now the crash
      lose_answer_ = false;
      answer_lost_ = cut_requested_ = true;
      refuse_until_ = Clock::now() + refuse_for_;
    }
    return true;
  }
  const int to = from_client ? pair->server : pair->client;
  if (::write(to, buf, static_cast<size_t>(n)) != n) return false;
  if (from_client) WatchClientBytes(pair, buf, static_cast<size_t>(n));
  std::lock_guard lock(mu_);
  recorded_.append(buf, static_cast<size_t>(n));
  return true;
}

// Polls with a short timeout so that the destructor is seen promptly.
void RecordingProxy::Loop() {
  std::vector<Pair> pairs;
  auto close_all = [&pairs] {
    for (Pair& p : pairs) ::close(p.client), ::close(p.server);
    pairs.clear();
  };
  while (!stopping_) {
    if (TakeCut()) close_all();
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    for (const Pair& p : pairs)
      fds.push_back({p.client, POLLIN, 0}), fds.push_back({p.server, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      Accept(&pairs);
      continue;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const size_t at = (i - 1) / 2;
      if (!Forward(&pairs[at], (i - 1) % 2 == 0)) {
        ::close(pairs[at].client), ::close(pairs[at].server);
        pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(at));
        break;  // the others moved: poll again
      }
    }
  }
  close_all();
}

}  // namespace sqlrepl::testing
