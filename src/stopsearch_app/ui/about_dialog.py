"""Help → About: version, licences and the data attributions the Open Government Licence asks for
(texts in resources/about/notices.toml)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from stopsearch_app import __version__
from stopsearch_app.i18n import _
from stopsearch_app.resources import load_toml


def about_html() -> str:
    notices = load_toml("about", "notices.toml")
    data = "".join(f"<li><b>{escape(item['what'])}</b><br>{escape(item['attribution'])} "
                   f"<a href='{escape(item['link'])}'>{escape(item['link'])}</a></li>" for item in notices["data"])
    software = "".join(f"<li>{escape(item['name'])}: {escape(item['licence'])}</li>" for item in notices["software"])
    return (f"<h2>{escape(_('Stop and Search Charter — children'))}</h2>"
            f"<p>{escape(_('Version'))} {escape(__version__)}. {escape(notices['app_licence'])}</p>"
            f"<h3>{escape(_('Data'))}</h3><ul>{data}</ul>"
            f"<p>{escape(_('The synthetic local extract of the demo is generated: its people, officers, names and addresses are fictitious.'))}</p>"
            f"<h3>{escape(_('Software'))}</h3><ul>{software}</ul>")


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle(_("About"))
        self.resize(620, 520)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setObjectName("about_text")
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(about_html())
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.version_label = QLabel(f"stopsearch-app {__version__}", self)
        layout.addWidget(self.version_label)
