// Result<T, E>: the project's error-handling vehicle at every trust boundary.
//
// Mirrors the API of C++23 std::expected (has_value, value, error, operator*, ->,
// value_or, transform) so a later move to the standard type is mechanical.  Errors are
// returned as `fail(e)`, the std::unexpected equivalent.  The type is [[nodiscard]]:
// a Result must never be ignored.
//
// Convention (see README "Error handling"): untrusted input and likely environment
// failures produce a Result with a structured error naming what is wrong; programmer
// invariants use CALICO_CHECK; exceptions from third-party code are caught at the
// adapter boundary and never cross a module API.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace calico {

template <class E>
class Failure {
 public:
  explicit Failure(E e) : error_(std::move(e)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Failure<std::decay_t<E>> fail(E&& e) {
  return Failure<std::decay_t<E>>(std::forward<E>(e));
}

[[noreturn]] inline void check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "CALICO_CHECK failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace calico

// Always-on invariant check for programmer errors (never for untrusted input).
#define CALICO_CHECK(cond)                               \
  do {                                                   \
    if (!(cond)) {                                       \
      ::calico::check_failed(#cond, __FILE__, __LINE__); \
    }                                                    \
  } while (false)

namespace calico {

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}  // NOLINT(google-explicit-constructor)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  template <class G>
  Result(Failure<G> f) : v_(std::in_place_index<1>, E(std::move(f).error())) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    CALICO_CHECK(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    CALICO_CHECK(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    CALICO_CHECK(has_value());
    return std::get<0>(std::move(v_));
  }
  E& error() & {
    CALICO_CHECK(!has_value());
    return std::get<1>(v_);
  }
  const E& error() const& {
    CALICO_CHECK(!has_value());
    return std::get<1>(v_);
  }
  E&& error() && {
    CALICO_CHECK(!has_value());
    return std::get<1>(std::move(v_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& other) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(other));
  }

  template <class F>
  auto transform(F&& f) const& -> Result<std::invoke_result_t<F, const T&>, E> {
    if (has_value()) {
      return std::forward<F>(f)(std::get<0>(v_));
    }
    return fail(std::get<1>(v_));
  }

 private:
  std::variant<T, E> v_;
};

// Result<void, E>: success carries no value.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class G>
  Result(Failure<G> f) : err_(E(std::move(f).error())), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { CALICO_CHECK(ok_); }
  const E& error() const& {
    CALICO_CHECK(!ok_);
    return err_;
  }
  E& error() & {
    CALICO_CHECK(!ok_);
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace calico
