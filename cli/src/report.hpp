// Output of `midisift info`: text for people, JSON for programs.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "midisift/db/database.hpp"

namespace midisift::cli {

/// The record as one JSON object; keys are the `files` column names, plus `diagnostics`
/// (array of {code, track, offset}; track null for file-level repairs) and `channels` (array).
[[nodiscard]] nlohmann::json to_json(const db::FileRecord& record);

/// The record as indented "key: value" lines for a terminal.
[[nodiscard]] std::string to_text(const db::FileRecord& record);

}  // namespace midisift::cli
