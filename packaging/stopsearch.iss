; Inno Setup 6 definition of the Windows installer (see packaging/README.md).
; Build the bundle first on Windows (`pyinstaller packaging\stopsearch.spec`), then:
;   iscc packaging\stopsearch.iss        -> dist\stopsearch-app-setup-<version>.exe
; Installs per user (no administrator rights: a force laptop), a Start menu entry, optional desktop icon.

#define AppName "Stop and Search Charter (children)"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1F7B0E-5E7B-4C8E-9C2A-3F0D2B7A51C4}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Stop and Search Charter project
DefaultDirName={localappdata}\Programs\stopsearch-app
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
OutputDir=..\dist
OutputBaseFilename=stopsearch-app-setup-{#AppVersion}
SetupIconFile=stopsearch.ico
UninstallDisplayIcon={app}\stopsearch-app.exe
LicenseFile=NOTICE.txt
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Files]
Source: "..\dist\stopsearch\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion
Source: "NOTICE.txt"; DestDir: "{app}"; Flags: ignoreversion

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\stopsearch-app.exe"; IconFilename: "{app}\stopsearch-app.exe"
Name: "{group}\{#AppName} (demo data)"; Filename: "{app}\stopsearch-app.exe"; Parameters: "--demo"
Name: "{group}\Licences and data attribution"; Filename: "{app}\NOTICE.txt"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\stopsearch-app.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\stopsearch-app.exe"; Parameters: "--demo"; Description: "Open the app on the demo data"; Flags: nowait postinstall skipifsilent

; The user's database and settings live in %LOCALAPPDATA%\stopsearch-app (platformdirs): an uninstall
; or an upgrade never removes them.
