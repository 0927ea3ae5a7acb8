"""Draws the app icon (packaging/stopsearch.png and .ico): run once when the design changes,
`QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py`; the files are committed."""

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPainterPath

HERE = Path(__file__).resolve().parent


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    unit = size / 16
    shield = QPainterPath()  # a shield: the charter's promise
    shield.moveTo(8 * unit, 0.6 * unit)
    shield.lineTo(14.6 * unit, 3 * unit)
    shield.cubicTo(14.6 * unit, 9.5 * unit, 12 * unit, 13.4 * unit, 8 * unit, 15.4 * unit)
    shield.cubicTo(4 * unit, 13.4 * unit, 1.4 * unit, 9.5 * unit, 1.4 * unit, 3 * unit)
    shield.closeSubpath()
    painter.fillPath(shield, QColor("#1d3f72"))
    painter.setPen(QColor("white"))
    font = QFont("DejaVu Sans", max(1, int(7.5 * unit)))
    font.setBold(True)
    font.setPixelSize(max(1, int(7.5 * unit)))
    painter.setFont(font)
    painter.drawText(QRectF(0, 1.5 * unit, size, 12 * unit), Qt.AlignmentFlag.AlignCenter, "✓")
    painter.end()
    return image


if __name__ == "__main__":
    app = QGuiApplication([])
    draw(256).save(str(HERE / "stopsearch.png"))
    draw(256).save(str(HERE / "stopsearch.ico"))  # Qt's ico plugin; Windows and Inno Setup read it
    print("wrote", HERE / "stopsearch.png", HERE / "stopsearch.ico")
