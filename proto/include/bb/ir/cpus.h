// How many CPUs this process may run on (its affinity mask): a thread that works beside
// the caller's (bbrun's parse, bbc's page faulting) helps only with a second one.
#pragma once

namespace bb::ir {

int usable_cpus();

}  // namespace bb::ir
