# Shared by the scripts: what PDF reports need from the system — Pango (WeasyPrint) and a Times New Roman-compatible
# font (Liberation Serif). Installed with apt-get when missing and allowed (root); otherwise a hint, never a failure:
# everything but PDF works without them.
pdf_need=()
ldconfig -p 2>/dev/null | grep 'libpango-1.0.so' >/dev/null || pdf_need+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-match "Times New Roman" 2>/dev/null | grep -iE 'liberation|times' >/dev/null || pdf_need+=(fonts-liberation)
if [ "${#pdf_need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "→ Cài phông chữ và thư viện cho báo cáo PDF: ${pdf_need[*]}…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pdf_need[@]}" >/dev/null) \
      || echo "  Không cài được ${pdf_need[*]}: báo cáo PDF sẽ dùng phông thay thế hoặc không tạo được." >&2
  else
    echo "Gợi ý: để xuất PDF đúng phông Times New Roman, hãy cài: sudo apt-get install ${pdf_need[*]}" >&2
  fi
fi
