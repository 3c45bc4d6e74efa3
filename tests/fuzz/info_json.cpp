// libFuzzer target: `midisift info --json` on whatever parsed. The record of any input must become
// one line of valid JSON (RFC 8259, UTF-8) whose values agree with the record, and the text form
// must build too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory_resource>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "midisift/scan/columns.hpp"
#include "midisift/scan/file_result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::pmr::monotonic_buffer_resource arena(std::size_t{1} << 20);
  {
    midisift::scan::FileJob job;
    job.result.path = "fuzz.mid";
    job.analyze(std::as_bytes(std::span(data, size)), &arena, {});
    const auto& record = job.result;
    const auto object = midisift::scan::to_json(record);
    // Text from the file (track names) is converted to UTF-8 by the analysis: a strict dump, which
    // throws on invalid UTF-8, must succeed.
    std::string line;
    try {
      line = object.dump();
    } catch (const nlohmann::json::exception& e) {
      FUZZ_CHECK(false, e.what());
    }
    FUZZ_CHECK(line.find('\n') == std::string::npos, "one object, one line (JSON Lines)");
    nlohmann::json back;
    try {
      back = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      FUZZ_CHECK(false, e.what());
    }
    for (const auto& [key, value] : object.items()) {
      if (back.at(key) != value) {
        std::fprintf(stderr, "key %s: %s in the object, %s read back\n", key.c_str(), value.dump().c_str(),
                     back.at(key).dump().c_str());
      }
    }
    FUZZ_CHECK(back == object, "the line parses back to the same object");
    FUZZ_CHECK(back.at("path") == "fuzz.mid", "path");
    FUZZ_CHECK(back.at("size_bytes") == size, "size");
    FUZZ_CHECK(back.at("md5").get<std::string>().size() == 32, "MD5 in hex");
    FUZZ_CHECK(back.at("diagnostics").size() == record.diagnostics.size(), "one entry per repair");
    const auto status = back.at("status").get<std::string>();
    FUZZ_CHECK(status == "ok" || status == "recovered" || status == "failed", "a known status");
    FUZZ_CHECK((status == "failed") == job.smf->failure().has_value(), "failed exactly when the parse failed");
    FUZZ_CHECK((status == "failed") == back.at("error").is_string(), "an error message exactly for failures");
    const auto text = midisift::scan::to_text(record);
    FUZZ_CHECK(text.find("fuzz.mid") != std::string::npos, "the text form names the file");
    job.clear();
  }
  arena.release();
  return 0;
}
