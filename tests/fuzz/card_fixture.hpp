// Shared by the firmware fuzz harnesses: a card in memory and its library, made anew for each
// input without the heap (the card's buffers and the event pool are too large for the stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "fuzz_check.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/clip/memory_file_system.hpp"

namespace midisift::fuzz {

template <std::size_t MaxFiles, std::size_t MaxFileBytes>
class CardFixture {
 public:
  using Card = clip::MemoryFileSystem<MaxFiles, MaxFileBytes>;

  CardFixture() {
    card_ = new (card_storage_) Card;
    library_ = new (library_storage_) clip::Library(*card_);
  }
  ~CardFixture() {
    library_->~Library();
    card_->~Card();
  }
  CardFixture(const CardFixture&) = delete;
  CardFixture& operator=(const CardFixture&) = delete;

  [[nodiscard]] Card& card() noexcept { return *card_; }
  [[nodiscard]] clip::Library& library() noexcept { return *library_; }

  /// Writes a whole file onto the card (its folder must exist).
  void put(const char* path, const std::uint8_t* data, std::size_t size) {
    clip::FileHandle f;
    FUZZ_CHECK(card_->open(path, clip::OpenMode::CreateWrite, f) == clip::Status::Ok, "create a file on the card");
    const bool written = size == 0 || card_->write(f, data, size) == clip::Status::Ok;
    FUZZ_CHECK(card_->close(f) == clip::Status::Ok && written, "the card holds the file");
  }

 private:
  alignas(Card) static inline std::byte card_storage_[sizeof(Card)];
  alignas(clip::Library) static inline std::byte library_storage_[sizeof(clip::Library)];
  Card* card_;
  clip::Library* library_;
};

}  // namespace midisift::fuzz
