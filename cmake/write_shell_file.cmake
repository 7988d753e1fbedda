# cmake -DTOOL=<exe> -DKIND=bash-completion|man -DOUT=<file> -P write_shell_file.cmake
# Writes what `<exe> --print-shell-file KIND` prints (tools/cli_docs) to OUT, or fails.
execute_process(COMMAND ${TOOL} --print-shell-file ${KIND} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${TOOL} --print-shell-file ${KIND} failed: ${rc}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
