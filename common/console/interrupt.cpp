#include "console/interrupt.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace sqlrepl::console {
namespace {

// The handler may touch only these.
std::atomic<bool>* g_pending = nullptr;
int g_wake_fd = -1;

void OnSigint(int) {
  const int saved = errno;
  if (g_pending != nullptr) g_pending->store(true);
  const char byte = 'c';
  if (g_wake_fd >= 0) (void)!::write(g_wake_fd, &byte, 1);
  errno = saved;
}

}  // namespace

SigintBlocked::SigintBlocked() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

SigintBlocked::~SigintBlocked() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

InterruptHandler::InterruptHandler(db::ConnectOptions db,
                                   std::function<void(const std::string&)> print,
                                   std::function<void()> wake)
    : db_(std::move(db)), print_(std::move(print)), wake_waiters_(std::move(wake)) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) return;
  g_pending = &pending_;
  g_wake_fd = wake_[1];
  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a read at the prompt returns
  ::sigaction(SIGINT, &sa, nullptr);
  SigintBlocked off_the_watcher;
  thread_ = std::thread([this] { Watch(); });
}

InterruptHandler::~InterruptHandler() {
  ::signal(SIGINT, SIG_DFL);
  g_wake_fd = -1;
  g_pending = nullptr;
  if (wake_[1] >= 0) ::close(wake_[1]);  // ends Watch()
  if (thread_.joinable()) thread_.join();
  if (wake_[0] >= 0) ::close(wake_[0]);
}

void InterruptHandler::SetKillable(unsigned long thread_id) {
  std::lock_guard lock(mu_);
  killable_ = thread_id;
}

void InterruptHandler::Watch() {
  db::ThreadEndGuard thread_guard;
  char byte;
  for (;;) {
    const ssize_t n = ::read(wake_[0], &byte, 1);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (wake_waiters_) wake_waiters_();
    std::lock_guard lock(mu_);
    const unsigned long id = killable_;
    if (id == 0) continue;
    // As the mysql client: a connection of its own, since the statement's
    // connection is busy waiting for the answer.
    Result<db::Connection> killer = db::Connection::Open(db_);
    Status s = killer.ok() ? killer->Run(fmt::format("KILL QUERY {}", id)) : killer.status();
    if (print_)
      print_(s.ok() ? "Ctrl-C -- query killed."
                    : "Ctrl-C -- could not kill the query: " + s.ToString());
  }
}

bool TakeCtrlCAtPrompt(InterruptHandler* interrupt, std::ostream& out) {
  if (interrupt == nullptr || !interrupt->Take()) return false;
  out << "^C" << std::endl;
  return true;
}

}  // namespace sqlrepl::console
