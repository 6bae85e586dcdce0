from django.core.management.base import BaseCommand

from core.jobs import sweep_names, sweep_run


class Command(BaseCommand):
    help = "Run every periodic sweep once (the same code Celery beat runs) and print what each did."

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", help="Only these sweeps (default: all).")

    def handle(self, *args, names: list[str], **options) -> None:
        known = sweep_names()
        for name in names:
            if name not in known:
                self.stderr.write(self.style.ERROR(f"Unknown sweep {name!r}; known: {', '.join(known)}"))
                raise SystemExit(2)
        for name in names or known:
            result = sweep_run(name)
            self.stdout.write(f"{name}: {result}")
