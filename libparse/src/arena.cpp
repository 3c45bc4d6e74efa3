#include "midisift/parse/arena.hpp"

#include <algorithm>

namespace midisift::parse {

void* CountingResource::do_allocate(std::size_t bytes, std::size_t alignment) {
  void* p = upstream_->allocate(bytes, alignment);
  ++allocations_;
  bytes_ += bytes;
  in_use_ += bytes;
  peak_ = std::max(peak_, in_use_);
  return p;
}

void CountingResource::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
  upstream_->deallocate(p, bytes, alignment);
  in_use_ -= bytes;
}

Arena::Arena(std::size_t initial_bytes, std::size_t max_retained, std::pmr::memory_resource* upstream)
    : counting_(upstream), max_retained_(std::max(max_retained, initial_bytes)), capacity_(initial_bytes),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(initial_bytes)) {
  mono_.emplace(buffer_.get(), capacity_, &counting_);
}

Arena::~Arena() = default;

void Arena::reset() {
  const std::uint64_t spilled = counting_.bytes_allocated() - upstream_bytes_at_reset_;
  mono_.reset();  // returns every upstream block
  if (spilled > 0 && capacity_ < max_retained_) {
    capacity_ = static_cast<std::size_t>(std::min<std::uint64_t>(max_retained_, capacity_ + spilled));
    buffer_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
  }
  upstream_bytes_at_reset_ = counting_.bytes_allocated();
  mono_.emplace(buffer_.get(), capacity_, &counting_);
}

void* Arena::do_allocate(std::size_t bytes, std::size_t alignment) { return mono_->allocate(bytes, alignment); }

void Arena::do_deallocate(void* /*p*/, std::size_t /*bytes*/, std::size_t /*alignment*/) {
  // Monotonic: memory comes back at reset().
}

}  // namespace midisift::parse
