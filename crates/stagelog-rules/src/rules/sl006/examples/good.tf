variable "stage_name" {
  type    = string
  default = "prod"
}

resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

# A group of the stage's own, apart from the execution logs.
resource "aws_cloudwatch_log_group" "orders" {
  name              = "/aws/vendedlogs/apigateway/orders/${var.stage_name}"
  retention_in_days = 365
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = "d1"
  stage_name    = var.stage_name

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.orders.arn
    format          = jsonencode({ requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller", user = "$context.identity.user", requestTime = "$context.requestTime", httpMethod = "$context.httpMethod", resourcePath = "$context.resourcePath", status = "$context.status", protocol = "$context.protocol", responseLength = "$context.responseLength" })
  }
}
