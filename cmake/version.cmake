# Writes OUT (xr_version.h) with the version of the tree being built: the
# project version and `git describe --always --dirty` of SRC at build time
# (not at configure time, so that a rebuild after a commit says so). The
# file is only rewritten when it changes, so an unchanged tree rebuilds
# nothing. Run by the xr_version target on every build.
execute_process(COMMAND git -C ${SRC} describe --always --dirty
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR rev STREQUAL "")
  set(rev "unknown commit")
endif()
set(text "#define XR_VERSION \"${VERSION} (${rev})\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
