// Whether wall-clock assertions mean anything in this build: optimised, no sanitizer.
// Timing tests still run and print their figures elsewhere; only their floors relax.
#pragma once

namespace bb::testing {

inline constexpr bool kTimedBuild =
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    true;
#else
    false;
#endif

}  // namespace bb::testing
