FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scheduler ./scheduler
COPY common ./common
COPY events ./events
COPY fellows ./fellows
COPY notifications ./notifications
COPY planner ./planner
COPY locale ./locale
COPY manage.py ./
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["gunicorn", "scheduler.wsgi", "--bind", "0.0.0.0:8000"]
