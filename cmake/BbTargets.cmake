# Shared compile settings for project targets (never applied to generated code): link
# bb::warnings PRIVATE to get the project's warning flags (-Werror with BB_WERROR).
add_library(bb_warnings INTERFACE)
add_library(bb::warnings ALIAS bb_warnings)
target_compile_options(bb_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic>
  $<$<BOOL:${BB_WERROR}>:-Werror>)
