// What the user reads of an Executed (master/master_executor.hpp), for the
// tests of the write path: its error and notes as console/write_text.hpp
// renders them.
#pragma once

#include <string>
#include <vector>

#include "console/write_text.hpp"

namespace sqlrepl::testing {

inline Status Shown(const master::Executed& e) {
  return e.result.ok() ? Status::Ok() : console::ShownError(e);
}

inline std::vector<std::string> Texts(const std::vector<master::Note>& notes) {
  std::vector<std::string> out;
  for (const master::Note& n : notes) out.push_back(console::NoteText(n));
  return out;
}

}  // namespace sqlrepl::testing
