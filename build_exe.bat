@echo off
rem Build dist\ratings_gui.exe (one file, windowed) and check it with --selftest.
rem
rem   build_exe.bat                  install_requirements.bat --build, PyInstaller, selftest
rem   build_exe.bat --no-pause       the same, without waiting for a key at the end
rem
rem The exe is windowed, so it prints nothing: its selftest result is the exit
rem code (0 = healthy) and the report in build\selftest.txt.
setlocal EnableExtensions
cd /d "%~dp0"

set "NO_PAUSE=0"
if defined CI set "NO_PAUSE=1"
if /i "%~1"=="--no-pause" set "NO_PAUSE=1"
set "VENV_PY=.venv\Scripts\python.exe"
set "EXE=dist\ratings_gui.exe"
set "REPORT=build\selftest.txt"

call "%~dp0install_requirements.bat" --build --no-pause
if errorlevel 1 (
    echo [build] Setting up the environment failed: see above.
    set "RC=1"
    goto :finish
)

echo [build] pyinstaller --noconfirm build_exe.spec
"%VENV_PY%" -m PyInstaller --noconfirm build_exe.spec
if errorlevel 1 (
    echo [build] PyInstaller failed: see above.
    set "RC=1"
    goto :finish
)
if not exist "%EXE%" (
    echo [build] PyInstaller finished but %EXE% is missing.
    set "RC=1"
    goto :finish
)

echo [build] %EXE% --selftest
if not exist build mkdir build
if exist "%REPORT%" del "%REPORT%"
rem start /wait waits for the windowed exe and returns its exit code.
start "" /wait "%EXE%" --selftest --selftest-report "%REPORT%"
set "RC=%ERRORLEVEL%"
if exist "%REPORT%" (type "%REPORT%") else (echo [build] The selftest wrote no report.)
if "%RC%"=="0" (
    echo [build] Selftest passed ^(exit code 0^). The program is %EXE%
) else (
    echo [build] Selftest FAILED with exit code %RC%.
)

:finish
if "%NO_PAUSE%"=="0" pause
endlocal & exit /b %RC%
