from ninja import Router

router = Router(tags=["Đợt đánh giá"])
