// The text of what the master's write path says (master/write_notes.hpp),
// for its prompt and its HTTP API alike.
#pragma once

#include <string>

#include "base/status.hpp"
#include "master/master_executor.hpp"
#include "master/write_notes.hpp"

namespace sqlrepl::console {

std::string NoteText(const master::Note& note);

// The error of `e`'s result as the user reads it: the master's explanation
// when it gave one (Executed::error_note), the error's own text otherwise.
// Call only when the result is an error.
Status ShownError(const master::Executed& e);

}  // namespace sqlrepl::console
