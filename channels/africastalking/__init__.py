"""Africa's Talking: SMS, delivery reports, USSD and voice callbacks; outbound SMS."""
