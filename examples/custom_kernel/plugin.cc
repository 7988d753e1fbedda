// Makes the library a bb kernel plugin: exports the kernel ABI version bbrun checks
// before it adopts the library's registrations.
#include "bb/runtime/plugin.h"

BB_KERNEL_PLUGIN();
