// bbc's malloc is jemalloc's, told to back its heap with transparent huge pages.
//
// A million-node model is ~500k short strings that protobuf keeps outside its arena
// (longer than the 15 bytes a std::string holds inline: the syscall domain, gate
// names), plus the passes' vectors and maps: a few hundred MB touched once each. On
// glibc's 4 KiB pages each first touch is a page fault, and on a virtual machine a
// fault costs microseconds; 2 MiB pages take one fault per 512 (docs/performance.md,
// "Round 10: the compiler's heap on huge pages"). The process is short-lived and
// single-threaded, so jemalloc's other trade-offs do not matter here; bbrun keeps the C
// library's malloc (its steady state allocates nothing).
//
// jemalloc reads this symbol before its first allocation; MALLOC_CONF in the
// environment still overrides it.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's documented hook
const char* malloc_conf = "thp:always,metadata_thp:always";
}
