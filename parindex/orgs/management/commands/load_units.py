import time

from django.core.management.base import BaseCommand, CommandError

from parindex.orgs.loaders import LoaderError, units_load_official


class Command(BaseCommand):
    help = "Nạp (hoặc cập nhật) danh mục đơn vị hành chính chính thức: 34 tỉnh, 3.321 xã/phường, 63 tỉnh cũ."

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            units_load_official(actor=None, stdout=self.stdout)
        except LoaderError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Xong sau {time.perf_counter() - started:.1f} giây."))
