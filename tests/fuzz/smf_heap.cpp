// libFuzzer target: the SMF reader and the whole analysis on the general heap
// (std::pmr::new_delete_resource), the baseline of the arena-versus-heap benchmark. AddressSanitizer
// sees every allocation here, so reads past a vector's end are caught at the byte.
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>

#include "smf_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  midisift::fuzz::check_smf(std::as_bytes(std::span(data, size)), std::pmr::new_delete_resource());
  return 0;
}
