"""The filter bar over the record table: force, months, borough, age band, ethnicity, children only.

It only builds a RecordQuery (its selection, and the recorded age range and ethnic group); the database
does the filtering.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from stopsearch_app.domain.places import london_boroughs
from stopsearch_app.domain.records import AGE_RANGES, ETHNIC_GROUPS
from stopsearch_app.i18n import _
from stopsearch_app.domain.selection import AgeBand, Selection
from stopsearch_app.store.queries import NOT_RECORDED, RecordQuery
from stopsearch_app.ui.context import AppContext

ALL = ""


class FilterBar(QWidget):
    filter_changed = Signal(object)  # RecordQuery

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._updating = False
        # Two rows: one row of filters was 1,170 px wide and left no room for the record view at 1366.
        rows = QVBoxLayout(self)
        rows.setContentsMargins(6, 4, 6, 4)
        rows.setSpacing(2)
        layout = QHBoxLayout()
        rows.addLayout(layout)

        self.force = self._combo(_("Force"), layout)
        self.month_from = self._combo(_("From"), layout)
        self.month_to = self._combo(_("To"), layout)
        for combo in (self.month_from, self.month_to):
            combo.setMinimumContentsLength(len("first month"))
        self.borough = self._combo(_("Borough"), layout)
        self.borough.setToolTip(_("A borough recorded by a local extract, or else the London borough the "
                                  "coordinates fall in"))
        self.borough.addItem(_("All boroughs"), ALL)
        for borough in sorted(london_boroughs().boroughs, key=lambda b: b.name):
            self.borough.addItem(borough.name, borough.name)
        self.age = self._combo(_("Age"), layout)
        layout.addStretch(1)
        layout = QHBoxLayout()
        rows.addLayout(layout)
        self.ethnicity_source = self._combo(_("Ethnicity"), layout)
        self.ethnicity_source.addItem(_("Self-defined"), "self")
        self.ethnicity_source.addItem(_("Officer-defined"), "officer")
        self.ethnic_group = QComboBox(self)
        self.ethnic_group.setObjectName("ethnic_group")
        self.ethnic_group.addItem(_("All groups"), ALL)
        for group in ETHNIC_GROUPS:
            self.ethnic_group.addItem(_(group), group)
        layout.addWidget(self.ethnic_group)
        self.children_only = QCheckBox(_("Children only"), self)
        self.children_only.setObjectName("children_only")
        self.children_only.setToolTip(_("Under 18 by exact age, appearance or police.uk age range"))
        layout.addWidget(self.children_only)
        self.reset_button = QPushButton(_("Reset"), self)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)

        self.age.addItem(_("All ages"), ())
        self.age.addItem(_("Children (under 10 and 10-17)"), ("under 10", "10-17"))
        for band in AGE_RANGES:
            self.age.addItem(band, (band,))
        self.age.addItem(_("Age not recorded"), (NOT_RECORDED,))

        for widget in (self.force, self.month_from, self.month_to, self.borough, self.age, self.ethnicity_source,
                       self.ethnic_group):
            widget.currentIndexChanged.connect(self._emit)
        self.children_only.toggled.connect(self._emit)
        self.reset_button.clicked.connect(self.reset)
        self.reload_choices()

    def _combo(self, label: str, layout: QHBoxLayout) -> QComboBox:
        caption = QLabel(label + ":", self)
        combo = QComboBox(self)
        combo.setObjectName(label.lower().replace(" ", "_"))
        # Sized to a short label, not the longest item (the list still shows them whole): the bar must
        # leave room for the record view at 1366 px wide.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(9)
        caption.setBuddy(combo)
        layout.addWidget(caption)
        layout.addWidget(combo)
        return combo

    def reload_choices(self, months: list[str] | None = None) -> None:
        """Refill the force and month lists from what is loaded, keeping the current choices.
        ``months`` comes from a background query (the caller's); None keeps the current list."""
        self._updating = True
        try:
            labels = self._context.labels
            self._refill(self.force, [(_("All forces"), ALL)] + [(f, f) for f in labels.values("force")])
            if months is not None:
                self._refill(self.month_from, [(_("first month"), ALL)] + [(m, m) for m in months])
                self._refill(self.month_to, [(_("last month"), ALL)] + [(m, m) for m in months])
        finally:
            self._updating = False

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        combo.clear()
        for text, data in items:
            combo.addItem(text, data)
        position = combo.findData(current)
        combo.setCurrentIndex(max(position, 0))

    def current_filter(self) -> RecordQuery:
        force = self.force.currentData()
        group = self.ethnic_group.currentData()
        borough = self.borough.currentData()
        month_from, month_to = self.month_from.currentData() or None, self.month_to.currentData() or None
        # Picked back to front: the months between (a Selection refuses a period that ends first).
        if month_from and month_to and month_from > month_to:
            month_from, month_to = month_to, month_from
        selection = Selection.all_searches(
            forces=(force,) if force else (), month_from=month_from, month_to=month_to,
            boroughs=(borough,) if borough else (), ethnicity=self.ethnicity_source.currentData() or "self",
            age=AgeBand.CHILD if self.children_only.isChecked() else AgeBand.ALL)
        return RecordQuery(selection, age_ranges=tuple(self.age.currentData() or ()),
                           ethnic_groups=(group,) if group else ())

    def reset(self) -> None:
        self._updating = True
        for combo in (self.force, self.month_from, self.month_to, self.borough, self.age, self.ethnicity_source,
                      self.ethnic_group):
            combo.setCurrentIndex(0)
        self.children_only.setChecked(False)
        self._updating = False
        self._emit()

    def _emit(self, *_args) -> None:
        if not self._updating:
            self.filter_changed.emit(self.current_filter())
