# tutorial_find_liburing(<variable> <step>)
#   The completion steps' io_uring comes through liburing. They use
#   io_uring_submit_and_wait_timeout() (liburing 2.1; its result was corrected in 2.3) and
#   IORING_SETUP_SINGLE_ISSUER and IORING_SETUP_DEFER_TASKRUN (Linux 6.0 and 6.1, in liburing's
#   copy of the kernel's header from 2.3 on): liburing 2.3 or later. Sets <variable> to a target
#   to link with, or to nothing after saying why <step> is left out: liburing missing, too old,
#   or of a version nobody states (no pkg-config file, and a header older than 2.4, which has
#   no version).
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/optional_library.cmake)

function(tutorial_find_liburing variable step)
  set(${variable} "" PARENT_SCOPE)
  get_property(searched GLOBAL PROPERTY tutorial_liburing_searched)
  if(NOT searched) # once for all the steps
    tutorial_find_optional_library(found liburing liburing.h uring)
    set_property(GLOBAL PROPERTY tutorial_liburing_searched TRUE)
    set_property(GLOBAL PROPERTY tutorial_liburing_target "${found}")
  endif()
  get_property(liburing_target GLOBAL PROPERTY tutorial_liburing_target)
  if(NOT liburing_target)
    message(STATUS "${step}: liburing not found (Debian: liburing-dev); step left out")
    return()
  endif()
  # pkg-config's version first; then the header's (liburing/io_uring_version.h, from 2.4 on).
  set(version "")
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(tutorial_liburing_version QUIET liburing)
    set(version "${tutorial_liburing_version_VERSION}")
  endif()
  if(NOT version)
    find_path(tutorial_liburing_version_dir liburing/io_uring_version.h)
    if(tutorial_liburing_version_dir)
      file(STRINGS ${tutorial_liburing_version_dir}/liburing/io_uring_version.h lines
        REGEX "#define IO_URING_VERSION_(MAJOR|MINOR)")
      string(REGEX REPLACE ".*MAJOR[ \t]+([0-9]+).*" "\\1" major "${lines}")
      string(REGEX REPLACE ".*MINOR[ \t]+([0-9]+).*" "\\1" minor "${lines}")
      set(version "${major}.${minor}")
    endif()
  endif()
  if(NOT version)
    message(STATUS "${step}: liburing's version is unknown (no pkg-config file, and a header older than 2.4); it needs 2.3 or later: step left out")
  elseif(version VERSION_LESS 2.3)
    message(STATUS "${step}: liburing ${version} found, 2.3 or later needed (Debian: liburing-dev from bookworm on); step left out")
  else()
    set(${variable} ${liburing_target} PARENT_SCOPE)
  endif()
endfunction()
