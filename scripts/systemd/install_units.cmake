# Part of `cmake --install` (install(SCRIPT) in CMakeLists.txt): writes the
# systemd units of scripts/systemd/ with the paths of this installation and
# installs them. At install time, not configure time: `cmake --install
# --prefix DIR` chooses the prefix only now, and ExecStart= must name the
# programs where they were put.
# Set by the install(CODE) before it: SQLREPL_UNIT_SOURCES (the *.service.in
# files), SQLREPL_BINDIR and SQLREPL_SYSTEMD_UNIT_DIR (relative to the
# prefix, or absolute), SQLREPL_CONFIG_DIR, SQLREPL_UNIT_WORK_DIR (where the
# written units are kept on their way).

# This file runs inside cmake_install.cmake: a function keeps its variables
# out of the rest of the installation.
function(sqlrepl_install_units)
  # The names the unit sources use.
  foreach(var BINDIR SYSTEMD_UNIT_DIR)
    if(IS_ABSOLUTE "${SQLREPL_${var}}")
      set(full_${var} "${SQLREPL_${var}}")
    else()
      set(full_${var} "${CMAKE_INSTALL_PREFIX}/${SQLREPL_${var}}")
    endif()
  endforeach()
  set(CMAKE_INSTALL_FULL_BINDIR "${full_BINDIR}")

  set(units "")
  foreach(source IN LISTS SQLREPL_UNIT_SOURCES)
    get_filename_component(name "${source}" NAME)
    string(REGEX REPLACE "\\.in$" "" name "${name}")
    configure_file("${source}" "${SQLREPL_UNIT_WORK_DIR}/${name}" @ONLY)
    list(APPEND units "${SQLREPL_UNIT_WORK_DIR}/${name}")
  endforeach()
  # file(INSTALL) adds DESTDIR, prints "Installing: ..." and records the
  # files in install_manifest.txt, as for the programs.
  file(INSTALL DESTINATION "${full_SYSTEMD_UNIT_DIR}" TYPE FILE FILES ${units})
endfunction()
sqlrepl_install_units()
