@echo off
rem Set up ratings_gui's Python environment on Windows: a virtual environment
rem in .venv (created if missing, reused otherwise) with the exact versions of
rem requirements.lock (hashes checked; python3 scripts/lock.py refreshes it).
rem
rem   install_requirements.bat            run-from-source environment only
rem   install_requirements.bat --build    requirements-build.lock: also PyInstaller,
rem                                       to build the exe (build_exe.bat passes this)
rem   --no-pause                          do not wait for a key at the end
rem
rem Needs Python 3.10 or newer from https://www.python.org/downloads/windows/
setlocal EnableExtensions
cd /d "%~dp0"

set "WANT_BUILD=0"
set "NO_PAUSE=0"
if defined CI set "NO_PAUSE=1"
:parse_args
if "%~1"=="" goto :args_done
if /i "%~1"=="--build" set "WANT_BUILD=1"
if /i "%~1"=="--no-pause" set "NO_PAUSE=1"
shift
goto :parse_args
:args_done

set "VENV=.venv"
set "VENV_PY=%VENV%\Scripts\python.exe"
set "PYCHECK=import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)"
set "PYEXE="
set "OLDVER="

set "LOCK=requirements.lock"
if "%WANT_BUILD%"=="1" set "LOCK=requirements-build.lock"
if not exist "%LOCK%" (
    echo [install] %LOCK% not found next to this script.
    set "RC=1"
    goto :finish
)

rem --- reuse a healthy .venv --------------------------------------------------
if not exist "%VENV_PY%" goto :find_python
"%VENV_PY%" -c "%PYCHECK%" >nul 2>&1
if not errorlevel 1 (
    echo [install] Reusing the virtual environment in %VENV%
    goto :install
)
echo [install] %VENV% is broken or uses a Python older than 3.10: recreating it.
rmdir /s /q "%VENV%"

rem --- find Python 3.10 or newer ----------------------------------------------
:find_python
call :try_python py -3
if not defined PYEXE call :try_python python
if not defined PYEXE call :try_python python3
if defined PYEXE goto :make_venv
if defined OLDVER goto :too_old
echo.
echo [install] Python was not found.
echo [install] Install Python 3.10 or newer from https://www.python.org/downloads/windows/
echo [install] and tick "Add python.exe to PATH" (or keep the "py" launcher), then run this again.
echo [install] (The "python" that opens the Microsoft Store is only a placeholder.)
set "RC=1"
goto :finish

:too_old
echo.
echo [install] Python %OLDVER% is too old: ratings_gui needs Python 3.10 or newer.
echo [install] Install a newer Python from https://www.python.org/downloads/windows/ and run this again.
set "RC=1"
goto :finish

:make_venv
echo [install] Creating a virtual environment in %VENV% with: %PYEXE%
%PYEXE% -m venv "%VENV%"
if errorlevel 1 (
    echo [install] Could not create the virtual environment in %VENV%.
    set "RC=1"
    goto :finish
)

rem --- install ----------------------------------------------------------------
:install
echo [install] Installing %LOCK% (exact versions, hashes checked) ...
"%VENV_PY%" -m pip install --disable-pip-version-check --require-hashes -r "%LOCK%"
if errorlevel 1 (
    echo [install] pip could not install %LOCK%: see the messages above.
    set "RC=1"
    goto :finish
)
echo.
echo [install] Done. Run the program from source with:  %VENV_PY% -m ratings_gui
if "%WANT_BUILD%"=="1" echo [install] Build the exe with:  build_exe.bat
set "RC=0"
goto :finish

rem --- helpers ----------------------------------------------------------------
rem :try_python CMD...  sets PYEXE if CMD is Python 3.10+, OLDVER if it is older.
rem A missing command (or the Microsoft Store placeholder) exits with 9009.
:try_python
%* -c "%PYCHECK%" >nul 2>&1
set "TRY_RC=%ERRORLEVEL%"
if "%TRY_RC%"=="0" set "PYEXE=%*"
if "%TRY_RC%"=="1" for /f "tokens=2" %%v in ('%* -V 2^>^&1') do set "OLDVER=%%v"
exit /b 0

:finish
if "%NO_PAUSE%"=="0" pause
endlocal & exit /b %RC%
