// bbc's malloc is jemalloc's, told to back its heap with transparent huge pages.
//
// Protobuf keeps the contents of strings longer than the 15 bytes a std::string holds
// inline outside its arena, on the heap: the syscall and wire domains alone are about
// 490k of them in the million-node bench graph. The passes' vectors and the writer's
// buffers are there too. On glibc's 4 KiB pages each first touch is a page fault, and on
// a virtual machine a fault costs microseconds: 30,444 faults per 1M compile, about
// 3,000 on jemalloc's 2 MiB pages (docs/performance.md, "Round 10: the compiler's heap
// on huge pages"). The process is short-lived and its other threads only write the
// output and fault huge pages in (bb/ir/huge_pages.h), so jemalloc's other trade-offs do
// not matter here; bbrun keeps the C library's malloc (its steady state allocates
// nothing).
//
// jemalloc reads this symbol before its first allocation; MALLOC_CONF in the
// environment still overrides it.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's documented hook
const char* malloc_conf = "thp:always,metadata_thp:always";
}
