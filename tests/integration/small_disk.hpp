// A small disk of the test's own, for tests of a server that runs out of
// room: a tmpfs that a file fills, and removing that file gives the room
// back. Needs root (scripts/test.sh runs so).
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace sqlrepl::testing {

// A tmpfs of `megabytes` at `path`, unmounted when it goes.
class SmallDisk {
 public:
  SmallDisk(std::string path, int megabytes) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0777";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mount tmpfs at ") + path_ + ": " + std::strerror(errno) +
               " (the test needs root, as scripts/test.sh runs)";
    }
  }
  ~SmallDisk() {
    if (error_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

  // Writes a file until the disk is full.
  void Fill() {
    std::ofstream f(path_ + "/filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  void Free() { std::filesystem::remove(path_ + "/filler"); }

 private:
  std::string path_;
  std::string error_;
};

}  // namespace sqlrepl::testing
