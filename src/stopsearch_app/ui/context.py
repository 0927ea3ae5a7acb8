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
    rule_orders: dict[int, list[str]] = field(default_factory=dict)  # check run id -> rule IDs of its packed string

    @classmethod
    def open(cls, engine: Engine, settings: Settings, settings_path=None) -> AppContext:
        context = cls(engine=engine, settings=settings, labels=Labels(engine), settings_path=settings_path)
        context.refresh_rule_orders()
        return context

    def refresh_rule_orders(self) -> None:
        from stopsearch_app.store.checks import rule_orders

        self.rule_orders = rule_orders(self.engine)

    def ruleset(self):
        """The shipped charter rule set with this user's settings applied (stopsearch_app.settings);
        RuleSetError when the rule set refuses them."""
        from stopsearch_app.domain.charter.ruleset import ruleset_from_settings

        return ruleset_from_settings(self.settings.rule_settings)

    @property
    def user_name(self) -> str:
        return self.settings.user_name or "unknown user"

    def save_settings(self) -> None:
        self.settings.save(self.settings_path)

    def data_changed(self) -> None:
        self.labels.refresh()
        self.refresh_rule_orders()
        self.notifier.records_changed.emit()
