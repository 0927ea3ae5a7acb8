"""The application context handed to every widget (git-cola's ApplicationContext): the database,
settings, vocabulary labels and a notifier that tells views when data changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThreadPool, Signal
from sqlalchemy import Engine

from stopsearch_app.settings import Settings
from stopsearch_app.store.queries import Labels


class Notifier(QObject):
    records_changed = Signal()  # an import or a re-check changed what is stored
    status_message = Signal(str)


@dataclass
class AppContext:
    engine: Engine
    settings: Settings
    labels: Labels
    notifier: Notifier = field(default_factory=Notifier)
    thread_pool: QThreadPool = field(default_factory=QThreadPool.globalInstance)
    settings_path: object = None  # None: the user's config folder

    @classmethod
    def open(cls, engine: Engine, settings: Settings, settings_path=None) -> AppContext:
        return cls(engine=engine, settings=settings, labels=Labels(engine), settings_path=settings_path)

    @property
    def user_name(self) -> str:
        return self.settings.user_name or "unknown user"

    def save_settings(self) -> None:
        self.settings.save(self.settings_path)

    def data_changed(self) -> None:
        self.labels.refresh()
        self.notifier.records_changed.emit()
