from ninja import Router

router = Router(tags=["Tự đánh giá"])
