#include "bb/ir/cpus.h"

#include <sched.h>

namespace bb::ir {

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return CPU_COUNT(&set);
}

}  // namespace bb::ir
